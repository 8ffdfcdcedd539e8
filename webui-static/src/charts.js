// Chart.js with only the parts the pages use (line and bar charts).
import {
  Chart, LineController, BarController, DoughnutController, LineElement, BarElement, ArcElement,
  PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler,
} from 'chart.js';
import { h } from './dom.js';

Chart.register(LineController, BarController, DoughnutController, LineElement, BarElement,
  ArcElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);

export const COLORS = {
  CONFIRM: '#8e44ad', QUEUED: '#7f8c8d', NOTIFIED: '#2980b9', IN_PROGRESS: '#f39c12',
  SUCCEEDED: '#27ae60', FAILED: '#c0392b', CANCELED: '#95a5a6',
};
const PALETTE = ['#2980b9', '#27ae60', '#f39c12', '#8e44ad', '#c0392b', '#16a085', '#d35400', '#7f8c8d'];

export function color(i) {
  return PALETTE[i % PALETTE.length];
}

// A chart in a fixed-height box; returns {box, chart}. The chart's data is
// also kept on the canvas (data-series) so tests can read what is drawn.
export function chart(id, config) {
  const canvas = h('canvas', { id });
  const box = h('div', { class: 'chart-box' }, canvas);
  const c = new Chart(canvas, {
    ...config,
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) },
  });
  const publish = () => {
    canvas.dataset.series = JSON.stringify({
      labels: c.data.labels,
      datasets: c.data.datasets.map((d) => ({ label: d.label, data: d.data })),
    });
  };
  publish();
  const update = c.update.bind(c);
  c.update = (...args) => { publish(); return update(...args); };
  return { box, chart: c };
}
