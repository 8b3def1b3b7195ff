// Builds and serves the demo in www/. The library is the npm package as it ships
// (dist/, built by scripts/package.mjs: the `web` build, initialised on import),
// imported by its package name as an app would, with no wasm option in webpack.
const path = require('path');

module.exports = {
  mode: process.env.NODE_ENV === 'production' ? 'production' : 'development',
  entry: './www/index.js',
  output: {
    path: path.resolve(__dirname, 'www/dist'),
    filename: 'bundle.js',
    // webpack-dev-server needs an absolute public path to serve the .wasm.
    publicPath: '/dist/',
  },
  resolve: {
    alias: { 'media-recorder-producer': path.resolve(__dirname, 'dist') },
  },
  devtool: false,
  performance: { hints: false },
  devServer: {
    host: '127.0.0.1',
    port: Number(process.env.PORT || 8080),
    static: { directory: path.resolve(__dirname, 'www'), watch: false },
    hot: false,
    liveReload: false,
    client: false,
    open: false,
    // Cross-origin isolation: precise timers and performance.measureUserAgentSpecificMemory().
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
};
