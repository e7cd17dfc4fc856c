package ai.crate.edge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * What the device says about itself where Linux exposes it: the hottest thermal zone (a Jetson's CPU and GPU zones
 * are among {@code /sys/class/thermal}), the memory available (on a Jetson, shared by CPU and GPU) and the process's
 * heap use. Readings that are not available are left out.
 */
final class DeviceReadings {
    private DeviceReadings() {
    }

    /** The highest temperature of the thermal zones in °C, or empty when none is readable. */
    static OptionalDouble maxTemperatureCelsius() {
        Path zones = Path.of("/sys/class/thermal");
        if (!Files.isDirectory(zones)) {
            return OptionalDouble.empty();
        }
        try (Stream<Path> list = Files.list(zones)) {
            return list.filter(p -> p.getFileName().toString().startsWith("thermal_zone"))
                    .map(p -> p.resolve("temp")).filter(Files::isReadable).mapToDouble(DeviceReadings::millidegrees)
                    .filter(v -> v > 0).max();
        } catch (IOException e) {
            return OptionalDouble.empty();
        }
    }

    private static double millidegrees(Path file) {
        try {
            return Long.parseLong(Files.readString(file).trim()) / 1000.0;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The memory Linux says is available ({@code MemAvailable} of {@code /proc/meminfo}), or -1. */
    static long memoryAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static long heapUsedBytes() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    static long heapMaxBytes() {
        return Runtime.getRuntime().maxMemory();
    }
}
