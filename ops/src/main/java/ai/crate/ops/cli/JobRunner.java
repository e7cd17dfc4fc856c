package ai.crate.ops.cli;

import ai.crate.flink.InferenceJob;
import ai.crate.flink.InferenceOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

import java.util.concurrent.TimeUnit;

/**
 * One Flink MiniCluster that runs {@link InferenceJob}s one after another, as a long-running TaskManager would, so
 * that a benchmark's measured job does not pay for starting a cluster (and compiling its start-up code) the way
 * {@code env.execute()} on a local environment does for every job. Close it to stop the cluster.
 */
final class JobRunner implements AutoCloseable {
    private static final int SLOTS = 4;
    private final MiniCluster cluster;

    private JobRunner(MiniCluster cluster) {
        this.cluster = cluster;
    }

    static JobRunner start() throws Exception {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_PORT, "0");
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(config)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(SLOTS).build());
        try {
            cluster.start();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new JobRunner(cluster);
    }

    /** Submits the job and returns at once. */
    JobID submit(InferenceOptions options, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(name);
        return cluster.submitJob(graph).get().getJobID();
    }

    /** Runs a bounded job to its end; a job that fails throws with the job's own failure as the cause. */
    void run(InferenceOptions options, String name) throws Exception {
        JobID id = submit(options, name);
        JobResult result = cluster.requestJobResult(id).get();
        if (!result.isSuccess()) {
            throw new IllegalStateException("job " + name + " ended " + result.getApplicationStatus(),
                    result.getSerializedThrowable().map(t -> t.deserializeError(getClass().getClassLoader()))
                            .orElse(null));
        }
    }

    /** Cancels a running job and waits until it has stopped. */
    void cancel(JobID id) throws Exception {
        cluster.cancelJob(id).get();
        JobResult result = cluster.requestJobResult(id).get(60, TimeUnit.SECONDS);
        if (result.getApplicationStatus().deriveJobStatus() != JobStatus.CANCELED) {
            throw new IllegalStateException("job " + id + " ended " + result.getApplicationStatus()
                    + " instead of being cancelled");
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
