package dev.lockstep.shop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The shop's pipeline definition, {@code examples/shop/pipeline.yaml} (the demo's, the tests', e2e's, chaos's and
 * peer's), of which this module carries a copy, and the variables it reads.
 */
public final class ShopDefinition {

    /** The shop's definition, relative to the repository's root. */
    public static final String EXAMPLE = "examples/shop/pipeline.yaml";

    /** The copy of {@link #EXAMPLE} built into this module. */
    private static final String RESOURCE = "pipeline.yaml";

    private ShopDefinition() {}

    /** Returns the text of {@link #EXAMPLE}, from the copy built into this module. */
    public static String text() {
        try (InputStream in = ShopDefinition.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the shop's definition is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shop's built-in definition", e);
        }
    }

    /**
     * Returns {@link #EXAMPLE} when the working directory holds it, else a temporary copy of the built-in one,
     * deleted when the JVM exits.
     */
    public static Path file() throws IOException {
        Path example = Path.of(EXAMPLE);
        if (Files.isRegularFile(example)) {
            return example;
        }
        Path copy = Files.createTempFile("lockstep-shop-", ".yaml");
        copy.toFile().deleteOnExit();
        Files.writeString(copy, text(), StandardCharsets.UTF_8);
        return copy;
    }

    /** Returns the variables {@link #EXAMPLE} reads, for a source, a warehouse and an alert webhook. */
    public static Map<String, String> environment(String sourceUrl, String sourceUser, String warehouseUrl,
            String warehouseUser, String webhookUrl) {
        return Map.of("SHOP_SOURCE_URL", sourceUrl, "SHOP_SOURCE_USER", sourceUser,
                "SHOP_WAREHOUSE_URL", warehouseUrl, "SHOP_WAREHOUSE_USER", warehouseUser,
                "SHOP_ALERTS_WEBHOOK", webhookUrl);
    }

}
