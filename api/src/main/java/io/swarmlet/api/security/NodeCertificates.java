package io.swarmlet.api.security;

import io.swarmlet.api.types.NodeRole;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** How a node certificate names its node, role and cluster (SwarmKit's scheme). */
public final class NodeCertificates {

    /** OU of a manager's certificate. */
    public static final String MANAGER_OU = "swarm-manager";
    /** OU of a worker's certificate. */
    public static final String WORKER_OU = "swarm-worker";

    private NodeCertificates() {}

    public static String ou(NodeRole role) {
        return role == NodeRole.MANAGER ? MANAGER_OU : WORKER_OU;
    }

    /** The node ID (CN) of a node certificate. */
    public static String nodeId(X509Certificate cert) {
        return attribute(cert, "CN");
    }

    /** The cluster ID (O) of a node certificate. */
    public static String clusterId(X509Certificate cert) {
        return attribute(cert, "O");
    }

    /** The role (OU) of a node certificate, or null if it names none. */
    public static NodeRole role(X509Certificate cert) {
        String ou = attribute(cert, "OU");
        if (MANAGER_OU.equals(ou)) {
            return NodeRole.MANAGER;
        }
        if (WORKER_OU.equals(ou)) {
            return NodeRole.WORKER;
        }
        return null;
    }

    private static String attribute(X509Certificate cert, String type) {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase(type)) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }
}
