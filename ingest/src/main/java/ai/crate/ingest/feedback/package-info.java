/**
 * Labelled feedback: the {@code feedback} topic's record ({@link Feedback}), how it is read from JSON and from a CSV
 * file of labels, and publishing it ({@link FeedbackPublisher}).
 */
package ai.crate.ingest.feedback;
