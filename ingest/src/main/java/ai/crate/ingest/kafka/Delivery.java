package ai.crate.ingest.kafka;

/** What the publisher does when Kafka cannot keep up or is unreachable. */
public enum Delivery {
    /** Block and retry until Kafka takes the frame: nothing is lost (files, directories). */
    LOSSLESS,
    /** Give up on a frame after a short wait and count it as dropped, so the source keeps up (cameras, streams). */
    LIVE
}
