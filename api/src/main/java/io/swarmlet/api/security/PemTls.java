package io.swarmlet.api.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS server's identity (and the CA its clients must be signed by) from
 * operator-supplied PEM files, with the JDK alone, for the listeners that
 * face users rather than nodes (the web console's HTTPS, the Docker API's
 * TCP socket): a certificate chain ({@code CERTIFICATE} blocks, the server's
 * first) and an unencrypted PKCS#8 key ({@code PRIVATE KEY}: RSA, EC or
 * Ed25519), as {@code openssl req -newkey ... -nodes} and {@code openssl
 * genrsa} (OpenSSL 3) write them.
 */
public final class PemTls {

    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \\1-----");

    private PemTls() {}

    /**
     * An SSL context presenting {@code certFile}'s chain with {@code keyFile}'s key; if
     * {@code clientCaFile} is given, it trusts exactly the certificates in it (for client
     * authentication), else the JDK's default trust.
     *
     * @param what whose files these are, for the messages ("the web console's")
     * @throws IllegalArgumentException with what is wrong with the files and how to fix it
     */
    public static SSLContext serverContext(String what, Path certFile, Path keyFile, Path clientCaFile) {
        try {
            List<Certificate> chain = certificates(certFile);
            List<byte[]> keys = blocks(keyFile, "PRIVATE KEY");
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(keyFile + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----): "
                        + "convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`");
            }
            PrivateKey key = key(keys.get(0), keyFile);
            char[] pass = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, pass, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            TrustManagerFactory tmf = null;
            if (clientCaFile != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate ca : certificates(clientCaFile)) {
                    trust.setCertificateEntry("ca" + i++, ca);
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " TLS files: " + e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " TLS files do not make a key and certificate: " + e.getMessage());
        }
    }

    /** The certificates of a PEM file, in order; at least one. */
    public static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Certificate> out = new ArrayList<>();
        for (byte[] der : blocks(file, "CERTIFICATE")) {
            out.add(cf.generateCertificate(new ByteArrayInputStream(der)));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    private static PrivateKey key(byte[] der, Path file) {
        for (String alg : List.of("RSA", "EC", "Ed25519", "EdDSA")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // next
            }
        }
        throw new IllegalArgumentException(file + ": not an RSA, EC or Ed25519 key");
    }

    private static List<byte[]> blocks(Path file, String type) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        List<byte[]> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                out.add(Base64.getMimeDecoder().decode(m.group(2)));
            }
        }
        return out;
    }
}
