package dev.lockstep.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.core.definition.UniqueRule;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SQL of {@code unique}: against other keys of the batch and the warehouse's current rows the batch keeps. */
class UniqueCheckTest {

    @Test
    void shouldFailRowsSharingValuesWithAnotherKeyOfTheBatchOrTheWarehouse() {
        UniqueCheck check = new UniqueCheck(new UniqueRule("u", "customer", List.of("email"), OnFail.QUARANTINE,
                Severity.WARNING, Duration.ofMinutes(5)));

        assertThat(check.failing("conf", "cur", List.of("id"))).isEqualTo("(NOT c._deleted AND c.\"email\" IS NOT NULL "
                + "AND (EXISTS (SELECT 1 FROM cur w WHERE w.\"email\" = c.\"email\" AND (w.\"id\") IS DISTINCT FROM "
                + "(c.\"id\") AND NOT EXISTS (SELECT 1 FROM conf b WHERE b.\"id\" = w.\"id\")) OR EXISTS (SELECT 1 FROM "
                + "conf o WHERE NOT o._deleted AND o.\"email\" = c.\"email\" AND (o.\"id\") IS DISTINCT FROM "
                + "(c.\"id\"))))");
        assertThat(check.reason()).isEqualTo("not unique: email also held by another key");
    }

    @Test
    void shouldLetTheOwnerElseTheKeyThatClaimedTheValueFirstKeepItWhenDeduplicating() {
        UniqueCheck check = new UniqueCheck(new UniqueRule("u", "customer", List.of("email", "tenant"),
                OnFail.DEDUPLICATE, Severity.WARNING, Duration.ofMinutes(5)));

        assertThat(check.failing("conf", "cur", List.of("id", "region"))).contains(
                "c.\"email\" IS NOT NULL AND c.\"tenant\" IS NOT NULL")
                .contains("(o.\"id\", o.\"region\") IS DISTINCT FROM (c.\"id\", c.\"region\") AND (EXISTS (SELECT 1 "
                        + "FROM cur h WHERE h.\"email\" = o.\"email\" AND h.\"tenant\" = o.\"tenant\" AND h.\"id\" = "
                        + "o.\"id\" AND h.\"region\" = o.\"region\") OR NOT EXISTS (SELECT 1 FROM conf f WHERE NOT "
                        + "f._deleted AND f.\"email\" = c.\"email\" AND f.\"tenant\" = c.\"tenant\" AND f.\"id\" = "
                        + "c.\"id\" AND f.\"region\" = c.\"region\" AND (f._lsn, f._seq) <= (o._lsn, o._seq))) AND NOT "
                        + "EXISTS (SELECT 1 FROM cur h WHERE h.\"email\" = c.\"email\"");
        assertThat(check.reason()).isEqualTo("duplicate of email, tenant held by another key");
    }
}
