package io.swarmlet.api.types;

/**
 * An IPv4 subnet ({@code 10.0.1.0/24}) and the addresses a cluster network
 * makes of it (design/networking.md): the gateway (first host), the task range
 * (the lower half), the virtual IPs (the upper half up to the address before
 * the DNS address) and the DNS address (the last usable one).
 *
 * @param base the network address, as an unsigned 32-bit value
 * @param prefix the prefix length, 0-32
 * @since 1.2
 */
public record Cidr(long base, int prefix) {

    /**
     * Parses {@code a.b.c.d/n}.
     *
     * @throws IllegalArgumentException if it is not an IPv4 CIDR, or has host bits set
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR");
        }
        long addr = address(text.substring(0, slash));
        String p = text.substring(slash + 1);
        if (!p.matches("[0-9]{1,2}") || Integer.parseInt(p) > 32) {
            throw new IllegalArgumentException("bad prefix length");
        }
        Cidr c = new Cidr(addr & mask(Integer.parseInt(p)), Integer.parseInt(p));
        if (c.base != addr) {
            throw new HostBitsSet(c);
        }
        return c;
    }

    /** A CIDR whose address is not the network address ({@code 10.0.1.5/24}). */
    public static final class HostBitsSet extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        /** The network the text meant ({@code 10.0.1.0/24} for {@code 10.0.1.5/24}). */
        public final transient Cidr network;

        HostBitsSet(Cidr network) {
            super("host bits set");
            this.network = network;
        }
    }

    /** A dotted-quad IPv4 address as an unsigned 32-bit value. */
    public static long address(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address");
        }
        long v = 0;
        for (String part : parts) {
            if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255) {
                throw new IllegalArgumentException("not an IPv4 address");
            }
            v = (v << 8) | Integer.parseInt(part);
        }
        return v;
    }

    /** An unsigned 32-bit value as a dotted-quad IPv4 address. */
    public static String format(long addr) {
        return ((addr >> 24) & 255) + "." + ((addr >> 16) & 255) + "." + ((addr >> 8) & 255) + "." + (addr & 255);
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    public long size() {
        return 1L << (32 - prefix);
    }

    /** The last address (broadcast). */
    public long last() {
        return base + size() - 1;
    }

    public boolean contains(long addr) {
        return addr >= base && addr <= last();
    }

    public boolean overlaps(Cidr other) {
        return base <= other.last() && other.base <= last();
    }

    /** Whether two IPv4 CIDR texts share an address; false if either is not one (or has host bits set). */
    public static boolean overlap(String a, String b) {
        try {
            return parse(a).overlaps(parse(b));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The first host address: the network's gateway. */
    public long gateway() {
        return base + 1;
    }

    /** The lower half: what the engine hands to containers. */
    public Cidr range() {
        return new Cidr(base, prefix + 1);
    }

    /** The last usable address: where the mesh answers DNS for the network. */
    public long dnsAddr() {
        return last() - 1;
    }

    /** The first virtual IP: the start of the upper half. */
    public long firstVip() {
        return base + size() / 2;
    }

    /** The last virtual IP: the address before the DNS address. */
    public long lastVip() {
        return dnsAddr() - 1;
    }

    @Override
    public String toString() {
        return format(base) + "/" + prefix;
    }
}
