package dev.lockstep.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.live.DerivedColumn;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints validation results as text (problems on standard error) or as one JSON document (standard output). */
final class ValidationOutput {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PrintWriter out;
    private final PrintWriter err;

    ValidationOutput(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    void text(List<ValidateCommand.FileResult> results) {
        int errors = 0;
        int warnings = 0;
        int invalid = 0;
        for (ValidateCommand.FileResult result : results) {
            result.problems().forEach(p -> err.println(p.format()));
            errors += (int) result.problems().stream().filter(Problem::isError).count();
            warnings += (int) result.problems().stream().filter(p -> !p.isError()).count();
            if (!result.valid()) {
                invalid++;
            }
            if (result.connectSkipped()) {
                err.println(result.file() + ": --connect checks skipped until the errors above are fixed");
            }
            result.definition().ifPresent(d -> out.println(result.file() + ": valid (" + summary(d) + ")"));
            result.connected().filter(r -> result.valid()).ifPresent(report -> {
                out.println("  checked against the source catalog, and expressions type-checked in "
                        + report.warehouseVersion());
                int width = report.columns().stream().mapToInt(c -> c.table().length() + c.column().length() + 1)
                        .max().orElse(0);
                for (DerivedColumn column : report.columns()) {
                    String name = column.table() + "." + column.column();
                    out.println("  " + name + " ".repeat(width - name.length() + 2) + column.type());
                }
            });
        }
        if (errors + warnings > 0) {
            err.println(plural(errors, "error") + ", " + plural(warnings, "warning")
                    + (results.size() > 1 ? " in " + invalid + " of " + results.size() + " files" : ""));
        }
        out.flush();
        err.flush();
    }

    void json(List<ValidateCommand.FileResult> results) {
        List<Map<String, Object>> files = new ArrayList<>();
        for (ValidateCommand.FileResult result : results) {
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("file", result.file());
            file.put("valid", result.valid());
            result.definition().ifPresent(d -> file.put("pipeline", d.name()));
            file.put("problems", result.problems().stream().map(ValidationOutput::problem).toList());
            result.connected().ifPresent(report -> {
                file.put("warehouse", report.warehouseVersion());
                file.put("columns", report.columns());
            });
            if (result.connectSkipped()) {
                file.put("connect", "skipped: fix the errors first");
            }
            files.add(file);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("valid", results.stream().allMatch(ValidateCommand.FileResult::valid));
        document.put("files", files);
        try {
            out.println(JSON.writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the JSON report", e);
        }
        out.flush();
    }

    private static Map<String, Object> problem(Problem problem) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", problem.location().file());
        json.put("line", problem.location().line());
        json.put("column", problem.location().column());
        json.put("path", problem.path());
        json.put("code", problem.type().code());
        json.put("level", problem.level().name().toLowerCase(Locale.ROOT));
        json.put("message", problem.message());
        return json;
    }

    private static String summary(PipelineDefinition d) {
        return "pipeline " + d.name() + ": " + plural(d.dimensions().size(), "dimension") + ", "
                + plural(d.facts().size(), "fact") + ", " + plural(d.quality().size(), "quality rule");
    }

    private static String plural(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
