/** Writing video files with FFmpeg: the demo's and the tests' generated clips. */
package ai.crate.ingest.video;
