package ai.crate.ingest.source;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Small helpers for source URIs: the scheme, the local path, and the URI with any {@code user:password@} removed. */
public final class Uris {
    private static final Pattern CREDENTIALS = Pattern.compile("(?<=://)[^/@]*@");

    private Uris() {
    }

    /** The lower-case scheme, or the empty string for a plain path. */
    public static String scheme(String uri) {
        int colon = uri.indexOf("://");
        if (colon > 0) {
            return uri.substring(0, colon).toLowerCase(Locale.ROOT);
        }
        if (uri.startsWith("v4l2:")) {
            return "v4l2";
        }
        if (uri.startsWith("file:")) {
            return "file";
        }
        return "";
    }

    /** The local path a plain path or {@code file:} URI names; empty for any other scheme. */
    public static Optional<Path> localPath(String uri) {
        return switch (scheme(uri)) {
            case "" -> Optional.of(Path.of(uri));
            case "file" -> Optional.of(Path.of(URI.create(uri).getPath()));
            default -> Optional.empty();
        };
    }

    public static String redact(String uri) {
        return CREDENTIALS.matcher(uri).replaceFirst("");
    }
}
