package ai.crate.calibration.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.util.Map;

/** Per-layer line and bar charts rendered to PNG, in the report's size and colours. */
final class Charts {
    static final int WIDTH = 640;
    static final int HEIGHT = 320;
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    private Charts() {
    }

    /** One line per series over layers 0, 1, …; {@code series} maps a name to one value per layer. */
    static byte[] perLayer(String title, String valueLabel, Map<String, double[]> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> entry : series.entrySet()) {
            XYSeries line = new XYSeries(entry.getKey());
            for (int layer = 0; layer < entry.getValue().length; layer++) {
                line.add(layer, entry.getValue()[layer]);
            }
            data.addSeries(line);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "layer", valueLabel, data, PlotOrientation.VERTICAL,
                series.size() > 1, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
        }
        plot.setRenderer(renderer);
        plot.getDomainAxis().setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return style(chart);
    }

    /** One bar per category ({@code values} in display order). */
    static byte[] bars(String title, String valueLabel, Map<String, Double> values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((category, value) -> data.addValue(value, valueLabel, category));
        JFreeChart chart = ChartFactory.createBarChart(title, "", valueLabel, data, PlotOrientation.VERTICAL, false,
                false, false);
        chart.getCategoryPlot().getRenderer().setSeriesPaint(0, COLOURS[0]);
        return style(chart);
    }

    private static byte[] style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(0xf7f7f7));
        return Png.encode(chart.createBufferedImage(WIDTH, HEIGHT));
    }
}
