package ai.crate.edge;

import ai.crate.patchify.DecodedImage;

/** A frame read from a camera, waiting for inference: its camera, its sequence number, when it was read, the image. */
record CameraFrame(String cameraId, long seq, long captureMicros, DecodedImage image) {
}
