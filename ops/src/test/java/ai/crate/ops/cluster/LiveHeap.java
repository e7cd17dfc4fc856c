package ai.crate.ops.cluster;

import com.sun.tools.attach.VirtualMachine;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * The live heap of another JVM on this machine: attaches to it, starts its local JMX agent, runs a full collection
 * and reads the heap in use. A leak check compares these figures, because the heap in use between collections moves
 * with the young generation's sawtooth by hundreds of megabytes.
 */
final class LiveHeap {
    private LiveHeap() {
    }

    /** Bytes of heap in use in process {@code pid} right after a full collection. */
    static long afterFullCollection(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(
                vm.startLocalManagementAgent()))) {
            MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(connector.getMBeanServerConnection(),
                    ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            memory.gc();
            return memory.getHeapMemoryUsage().getUsed();
        } finally {
            vm.detach();
        }
    }
}
