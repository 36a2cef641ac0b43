/**
 * PNG plotting without dependencies: line charts of training curves, grouped bar charts of final
 * scores and grids of small images.
 * @packageDocumentation
 */
export { lineChart, lineChartLayout, type LineChartOptions, type Series, type ChartLayout } from './line-chart';
export { barChart, barChartLayout, formatBarValue, type BarChartOptions, type BarSeries, type BarChartLayout, type ValueLabel } from './bar-chart';
export type { Axis, ChartFrame } from './axes';
export { imageGrid, imageGridLayout, NAN_COLOR, type ImageGridOptions, type GridLayout } from './image-grid';
export { Raster, WHITE, BLACK, type Rgb, type Rect } from './raster';
export { encodePng, crc32 } from './png';
export { textWidth, textHeight, fitText, glyph, GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ASCENT, GLYPH_ADVANCE, ELLIPSIS } from './font';
