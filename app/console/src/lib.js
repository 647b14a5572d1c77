// The front-end library, vendored from app/console/node_modules at build time (preact + htm,
// pinned by app/console/package-lock.json). htm's tagged templates build preact elements: every
// ${value} inside them is a text node or an attribute value, never parsed as HTML, so text that
// callers control (names, transcripts, summaries) cannot become markup. The console never uses
// dangerouslySetInnerHTML or innerHTML.
import { h, render, Fragment } from './vendor/preact.js';
import { useState, useEffect, useRef, useCallback, useMemo } from './vendor/hooks.js';
import htm from './vendor/htm.js';

export const html = htm.bind(h);
export { h, render, Fragment, useState, useEffect, useRef, useCallback, useMemo };
