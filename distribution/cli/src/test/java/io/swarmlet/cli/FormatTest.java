package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class FormatTest {

    private static final List<Field<Node>> FIELDS = List.of(
            Field.<Node>column("ID", "ID", Node::getId).inDefaultTableAs(n -> n.getId() + "!"),
            Field.column("Hostname", "HOSTNAME", n -> n.getDescription().getHostname()),
            Field.extra("Secret", "SECRET", n -> "hidden"));

    private static final List<Node> NODES = List.of(
            Node.newBuilder().setId("n1").setDescription(NodeDescription.newBuilder().setHostname("one")).build(),
            Node.newBuilder().setId("n2").setDescription(NodeDescription.newBuilder().setHostname("two")).build());

    private static String print(String format) {
        StringWriter w = new StringWriter();
        PrintWriter out = new PrintWriter(w);
        Format.parse(format, Format.Kind.TABLE, FIELDS).print(out, NODES, FIELDS, n -> n);
        out.flush();
        return w.toString();
    }

    @Test
    void defaultTableShowsTableColumnsOnly() {
        assertEquals("ID        HOSTNAME\nn1!       one\nn2!       two\n", print(null));
        assertEquals(print(null), print("table"));
    }

    @Test
    void templates() {
        assertEquals("n1=one\nn2=two\n", print("{{.ID}}={{ .Hostname }}"));
        assertEquals("n1\thidden\nn2\thidden\n", print("{{.ID}}\\t{{.Secret}}"));
        assertEquals("{\"id\":\"n1\"", print("{{json .}}").substring(0, 10));
        assertEquals("HOSTNAME   ID\none        n1\ntwo        n2\n", print("table {{.Hostname}}\\t{{.ID}}"));
    }

    @Test
    void jsonAndKinds() {
        assertTrue(print("json").startsWith("[\n    {"));
        assertEquals(Format.Kind.PRETTY, Format.parse("PRETTY", Format.Kind.TABLE, FIELDS).kind);
        assertEquals(Format.Kind.JSON, Format.parse(" ", Format.Kind.JSON, FIELDS).kind);
    }

    @Test
    void badTemplates() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.parse("{{.Nope}}", Format.Kind.TABLE, FIELDS));
        assertEquals("template: cannot use {{.Nope}}; use {{json .}} or one of {{.ID}}, {{.Hostname}}, {{.Secret}}", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Format.parse("{{if .ID}}x{{end}}", Format.Kind.TABLE, FIELDS));
        assertThrows(IllegalArgumentException.class, () -> Format.parse("{{.ID", Format.Kind.TABLE, FIELDS));
    }
}
