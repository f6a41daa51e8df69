package io.swarmlet.executor.docker.internal;

/** IPv4 CIDR blocks ("10.0.1.0/25"), just enough to tell whether two overlap. */
final class Cidr {

    private Cidr() {}

    /** Whether IPv4 blocks {@code a} and {@code b} share an address; false if either is not IPv4 CIDR. */
    static boolean overlap(String a, String b) {
        long[] x = parse(a);
        long[] y = parse(b);
        if (x == null || y == null) {
            return false;
        }
        return x[0] <= y[1] && y[0] <= x[1];
    }

    /** {first, last} address of the block, or null. */
    private static long[] parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String[] parts = cidr.substring(0, slash).split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        try {
            int bits = Integer.parseInt(cidr.substring(slash + 1));
            if (bits < 0 || bits > 32) {
                return null;
            }
            long addr = 0;
            for (String p : parts) {
                int octet = Integer.parseInt(p);
                if (octet < 0 || octet > 255) {
                    return null;
                }
                addr = addr << 8 | octet;
            }
            long size = 1L << (32 - bits);
            long first = addr & ~(size - 1) & 0xFFFF_FFFFL;
            return new long[] {first, first + size - 1};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
