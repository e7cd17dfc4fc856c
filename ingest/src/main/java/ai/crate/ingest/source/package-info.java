/**
 * Where frames come from. {@link ai.crate.ingest.source.FrameSources#open} picks a
 * {@link ai.crate.ingest.source.FrameSourceProvider} (registered through {@code ServiceLoader}) for a source URI:
 * video files, RTSP/HTTP streams and V4L2 cameras through FFmpeg, and directories of images.
 */
package ai.crate.ingest.source;
