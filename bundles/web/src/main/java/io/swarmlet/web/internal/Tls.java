package io.swarmlet.web.internal;

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

/**
 * The HTTPS server's identity from two PEM files, with the JDK alone: a
 * certificate chain ({@code CERTIFICATE} blocks, the server's first) and an
 * unencrypted PKCS#8 key ({@code PRIVATE KEY}: RSA, EC or Ed25519).
 */
final class Tls {

    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \\1-----");

    private Tls() {}

    /** @throws IllegalArgumentException with what is wrong with the files and how to fix it */
    static SSLContext context(Path certFile, Path keyFile) {
        try {
            List<Certificate> chain = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(certFile, "CERTIFICATE")) {
                chain.add(cf.generateCertificate(new ByteArrayInputStream(der)));
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException(certFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
            List<byte[]> keys = blocks(keyFile, "PRIVATE KEY");
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(keyFile + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----): "
                        + "convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`");
            }
            PrivateKey key = key(keys.get(0), keyFile);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pass = new char[0];
            ks.setKeyEntry("web", key, pass, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, null);
            return ssl;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the web console's TLS files: " + e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the web console's TLS files do not make a key and certificate: " + e.getMessage());
        }
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
