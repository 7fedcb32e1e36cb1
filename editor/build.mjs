// Bundles the editor into the theme's assets. The bundle is committed, so
// building Masthead needs no Node; .ci/run rebuilds it and fails when the
// committed one differs from what these sources and pinned packages make.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  legalComments: "none",
  charset: "utf8",
  outfile: "../themes/default/assets/editor.js",
  banner: { js: "/* Masthead's document editor: built by editor/build.mjs from editor/src and ProseMirror (MIT). */" },
});
