/**
 * {@code shapes}: a procedurally generated, labelled image set (ten classes of shapes and textures with random
 * colours, sizes, positions, rotations, backgrounds and noise) for training the demo model, and the same renderer
 * producing video clips of moving shapes with per-frame ground truth.
 */
package ai.crate.patchify.shapes;
