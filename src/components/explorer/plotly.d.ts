declare module 'plotly.js-gl3d-dist-min';
