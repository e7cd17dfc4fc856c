package ai.crate.ingest.source;

import ai.crate.ingest.IngestException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Opens a source for a URI with the first registered {@link FrameSourceProvider} that supports it. */
public final class FrameSources {
    private FrameSources() {
    }

    public static FrameSource open(SourceSettings settings) throws IngestException {
        List<String> names = new ArrayList<>();
        for (FrameSourceProvider provider : ServiceLoader.load(FrameSourceProvider.class)) {
            if (provider.supports(settings.uri())) {
                return provider.open(settings);
            }
            names.add(provider.name());
        }
        throw new IngestException("no frame source handles '" + Uris.redact(settings.uri()) + "' (tried " + names
                + "); use a video file, a directory of images, rtsp://, http(s):// or v4l2:/dev/videoN");
    }
}
