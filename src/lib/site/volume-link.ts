/**
 * What the explorer says when its link names no shipped volume: an unknown `?volume=` id, or
 * `?file=own` (a reader's own file was shown: it never leaves the reader's browser, so a link cannot
 * reopen it, and the URL does not carry its name). Pure text; the page shows it beside the volume pickers and opens `shown` instead.
 */

/** At most this many ids are listed; the rest are counted. */
export const MAX_LISTED_IDS = 40;

function listIds(available: readonly string[]): string {
  const shown = available.slice(0, MAX_LISTED_IDS).join(', ');
  const more = available.length - MAX_LISTED_IDS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

export function unknownVolumeMessage(wanted: string, available: readonly string[], shown: string): string {
  return `There is no shipped test volume “${wanted}”, so the explorer shows ${shown} instead. The ${available.length} available are: ${listIds(available)}.`;
}

export function ownFileLinkMessage(shown: string): string {
  return `This link was made while a reader’s own file was open; the file never left that browser, so a link cannot reopen it. The explorer shows the shipped test volume ${shown} instead: open the file again under “Your own volume”.`;
}
