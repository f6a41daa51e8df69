package io.swarmlet.mesh.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** IP literals as the routing table carries them (VIPs, DNS addresses): parsed without any lookup. */
final class Addresses {

    private Addresses() {}

    /** The address of an IPv4 (digits and dots) or IPv6 (has a colon) literal; null for anything else. */
    static InetAddress literal(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6 && !s.chars().allMatch(ch -> ch == '.' || ch >= '0' && ch <= '9')) {
            return null; // a host name: never looked up on the way to a bind
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    /** IP literals in numeric order (IPv4 before IPv6); anything else after them, as text. */
    static int compare(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        InetAddress x = literal(a);
        InetAddress y = literal(b);
        if (x == null || y == null) {
            return x != null ? -1 : y != null ? 1 : a.compareTo(b);
        }
        byte[] p = x.getAddress();
        byte[] q = y.getAddress();
        if (p.length != q.length) {
            return Integer.compare(p.length, q.length);
        }
        int c = Arrays.compareUnsigned(p, q);
        return c != 0 ? c : a.compareTo(b);
    }
}
