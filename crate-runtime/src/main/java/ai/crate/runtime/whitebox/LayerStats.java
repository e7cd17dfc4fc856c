package ai.crate.runtime.whitebox;

/**
 * One layer's white-box figures over a batch: coding rate mean and sample standard deviation (n−1; NaN for one image),
 * sparsity (fraction of exact zeros in the ISTA output) mean and population standard deviation.
 */
public record LayerStats(int layer, double codingRateMean, double codingRateStd, double sparsityMean,
        double sparsityStd) {
}
