/**
 * A 5×7 bitmap font with two descender rows, covering printable ASCII (32–126) plus '…'. Each
 * glyph is nine row masks, one base-32 digit per row (bit 4 is the leftmost column), so the whole
 * font is a short string that needs no asset file and draws identically everywhere.
 */

/** Width of a glyph in pixels at scale 1. */
export const GLYPH_WIDTH = 5;
/** Height of a glyph cell at scale 1: GLYPH_ASCENT rows down to the baseline, then two descender rows. */
export const GLYPH_HEIGHT = 9;
/** Rows of capitals and digits at scale 1: what to centre on a tick mark. */
export const GLYPH_ASCENT = 7;
/** Horizontal distance between the starts of consecutive glyphs at scale 1 (one column of space). */
export const GLYPH_ADVANCE = 6;

/** The character drawn where text is cut short. */
export const ELLIPSIS = '…';

// Glyph n (n = code - 32) is GLYPHS.slice(9n, 9n + 9); after '~' come '…' and the box drawn for
// any character the font lacks, so a missing glyph is visible rather than silently dropped.
const GLYPHS =
  '000000000444440400aaa000000aavavaa004fke5u400op248j300cik8lid00444000000' + //   ! " # $ % & '
  '24888420084222480004lel4000044v4400000000c480000v0000000000cc0001248g000' + // ( ) * + , - . /
  'ehjlphe004c4444e00eh1248v00v2421he0026aiv2200vgu11he0068guhhe00v12488800' + // 0 1 2 3 4 5 6 7
  'ehhehhe00ehhf12c000cc0cc0000cc0c4800248g8420000v0v0000842124800eh1240400' + // 8 9 : ; < = > ?
  'eh1dlle00ehhvhhh00uhhuhhu00ehggghe00sihhhis00vgguggv00vgguggg00ehgnhhf00' + // @ A B C D E F G
  'hhhvhhh00e44444e0072222ic00hikokih00ggggggv00hrllhhh00hhpljhh00ehhhhhe00' + // H I J K L M N O
  'uhhuggg00ehhhlid00uhhukih00fgge11u00v44444400hhhhhhe00hhhhha400hhhllla00' + // P Q R S T U V W
  'hha4ahh00hhha44400v1248gv00e88888e000g8421000e22222e004ah0000000000000v0' + // X Y Z [ \ ] ^ _
  '84200000000e1fhf00ggmphhu0000egghe0011djhhf0000ehvge00698s8880000fhhhf1e' + // ` a b c d e f g
  'ggmphhh0040c444e002062222icggikoki00c44444e0000qlllh0000mphhh0000ehhhe00' + // h i j k l m n o
  '00uhhhugg00fhhhf1100mpggg0000fge1u0088s88960000hhhjd0000hhha40000hhlla00' + // p q r s t u v w
  '00ha4ah0000hhhhf1e00v248v00344844300444444400o44244o00008l20000000000l00' + // x y z { | } ~ …
  'vhhhhhv00'; //                                                                 missing glyph

const ELLIPSIS_INDEX = 95;
const MISSING_INDEX = 96;

/** Decoded once on first use: per glyph, nine row masks. */
let decoded: Uint8Array | undefined;

function glyphTable(): Uint8Array {
  if (!decoded) {
    decoded = new Uint8Array(GLYPHS.length);
    for (let i = 0; i < GLYPHS.length; i++) decoded[i] = parseInt(GLYPHS[i], 32);
  }
  return decoded;
}

/**
 * The nine row masks of the glyph for one character (bit 4 = leftmost column, row 0 = top).
 * Characters outside the font get a hollow box.
 */
export function glyph(char: string): Uint8Array {
  const code = char.codePointAt(0) ?? 0;
  const index = code >= 32 && code <= 126 ? code - 32 : char === ELLIPSIS ? ELLIPSIS_INDEX : MISSING_INDEX;
  return glyphTable().subarray(index * GLYPH_HEIGHT, (index + 1) * GLYPH_HEIGHT);
}

/** Width in pixels of `text` drawn at `scale`, without trailing space after the last glyph. */
export function textWidth(text: string, scale = 1): number {
  const count = [...text].length;
  return count === 0 ? 0 : (count * GLYPH_ADVANCE - 1) * scale;
}

/** Height in pixels of one line of text at `scale`, descenders included. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

/**
 * `text` unchanged when it fits in `maxWidth` pixels at `scale`, otherwise as many leading
 * characters as fit followed by '…' (or '' when not even '…' fits).
 */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const maxChars = Math.floor((maxWidth / scale + 1) / GLYPH_ADVANCE);
  if (maxChars < 1) return '';
  // Trailing spaces before the ellipsis would read as a gap, not as a cut.
  return [...text].slice(0, maxChars - 1).join('').trimEnd() + ELLIPSIS;
}
