package ai.crate.runtime.engine;

/**
 * One layer's tensors for one image, row-major: {@code w = LN1(z)·Uᵀ} ({@code [tokens, heads·dimHead]}), the state
 * after attention {@code zHalf} and after ISTA {@code zNext} (both {@code [tokens, dim]}). Arrays are engine scratch.
 */
public record LayerTensors(int tokens, int dim, int heads, int dimHead, float[] w, float[] zHalf, float[] zNext) {
}
