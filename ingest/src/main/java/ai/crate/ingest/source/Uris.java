package ai.crate.ingest.source;

import java.util.Locale;
import java.util.regex.Pattern;

/** Small helpers for source URIs: the scheme, and the URI with any {@code user:password@} removed. */
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

    public static String redact(String uri) {
        return CREDENTIALS.matcher(uri).replaceFirst("");
    }
}
