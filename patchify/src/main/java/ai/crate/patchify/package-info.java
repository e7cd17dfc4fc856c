/**
 * Frames to model input, with no Kafka and no Flink: {@link ai.crate.patchify.FrameDecoder}s turn JPEG, PNG and raw
 * BGR/RGB/YUV frames into {@link ai.crate.patchify.DecodedImage}s, a {@link ai.crate.patchify.Preprocessor} resizes,
 * centre-crops and normalises them exactly as torchvision's {@code Resize + CenterCrop + ToTensor + Normalize}, and
 * {@link ai.crate.patchify.PatchTokens} lays them out as the spec's patch tokens. {@link ai.crate.patchify.Patchifier}
 * composes the two steps; {@link ai.crate.patchify.ImageBatch} assembles batches in a reused buffer.
 *
 * <p>Each step has a fast path (OpenCV for decoding and colour conversion, table-driven crop-aware resampling) and a
 * plain reference path (ImageIO, formula-by-formula double arithmetic); the tests hold them to 1e-5 of each other.
 */
package ai.crate.patchify;
