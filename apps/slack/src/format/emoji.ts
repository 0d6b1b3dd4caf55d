/**
 * Slack's emoji names and Unicode emoji, both ways: Slack writes emoji as
 * `:name:` in text and names them in reactions, XMPP carries the character
 * itself (XEP-0444 reactions are Unicode only).
 *
 * The table is a small hand-written subset of the names Slack (after
 * GitHub's gemoji) gives the emoji people use most; a name it lacks stays
 * `:name:` towards XMPP (a custom emoji, as the AST calls it), and an emoji it
 * lacks cannot be a Slack reaction (the connector says so in its log).
 * Skin tones (`::skin-tone-2` .. `6`) become the Fitzpatrick modifiers.
 */

/** Name -> emoji. The first name of an emoji is the one written towards Slack. */
const NAMES: ReadonlyArray<readonly [string, string]> = [
  ["+1", "👍"],
  ["thumbsup", "👍"],
  ["-1", "👎"],
  ["thumbsdown", "👎"],
  ["smile", "😄"],
  ["smiley", "😃"],
  ["grinning", "😀"],
  ["grin", "😁"],
  ["laughing", "😆"],
  ["satisfied", "😆"],
  ["joy", "😂"],
  ["rolling_on_the_floor_laughing", "🤣"],
  ["sweat_smile", "😅"],
  ["slightly_smiling_face", "🙂"],
  ["upside_down_face", "🙃"],
  ["wink", "😉"],
  ["blush", "😊"],
  ["innocent", "😇"],
  ["heart_eyes", "😍"],
  ["kissing_heart", "😘"],
  ["yum", "😋"],
  ["stuck_out_tongue", "😛"],
  ["stuck_out_tongue_winking_eye", "😜"],
  ["thinking_face", "🤔"],
  ["neutral_face", "😐"],
  ["expressionless", "😑"],
  ["no_mouth", "😶"],
  ["smirk", "😏"],
  ["unamused", "😒"],
  ["face_with_rolling_eyes", "🙄"],
  ["grimacing", "😬"],
  ["relieved", "😌"],
  ["pensive", "😔"],
  ["sleepy", "😪"],
  ["sleeping", "😴"],
  ["mask", "😷"],
  ["nerd_face", "🤓"],
  ["sunglasses", "😎"],
  ["confused", "😕"],
  ["worried", "😟"],
  ["slightly_frowning_face", "🙁"],
  ["open_mouth", "😮"],
  ["astonished", "😲"],
  ["flushed", "😳"],
  ["pleading_face", "🥺"],
  ["cry", "😢"],
  ["sob", "😭"],
  ["scream", "😱"],
  ["rage", "😡"],
  ["angry", "😠"],
  ["exploding_head", "🤯"],
  ["skull", "💀"],
  ["poop", "💩"],
  ["hankey", "💩"],
  ["clown_face", "🤡"],
  ["ghost", "👻"],
  ["alien", "👽"],
  ["robot_face", "🤖"],
  ["see_no_evil", "🙈"],
  ["wave", "👋"],
  ["raised_hand", "✋"],
  ["ok_hand", "👌"],
  ["v", "✌️"],
  ["crossed_fingers", "🤞"],
  ["point_up", "☝️"],
  ["point_right", "👉"],
  ["point_left", "👈"],
  ["point_down", "👇"],
  ["clap", "👏"],
  ["raised_hands", "🙌"],
  ["pray", "🙏"],
  ["muscle", "💪"],
  ["eyes", "👀"],
  ["brain", "🧠"],
  ["heart", "❤️"],
  ["orange_heart", "🧡"],
  ["yellow_heart", "💛"],
  ["green_heart", "💚"],
  ["blue_heart", "💙"],
  ["purple_heart", "💜"],
  ["black_heart", "🖤"],
  ["broken_heart", "💔"],
  ["sparkling_heart", "💖"],
  ["100", "💯"],
  ["boom", "💥"],
  ["sparkles", "✨"],
  ["star", "⭐"],
  ["star2", "🌟"],
  ["fire", "🔥"],
  ["zap", "⚡"],
  ["rainbow", "🌈"],
  ["sunny", "☀️"],
  ["cloud", "☁️"],
  ["snowflake", "❄️"],
  ["tada", "🎉"],
  ["confetti_ball", "🎊"],
  ["balloon", "🎈"],
  ["gift", "🎁"],
  ["trophy", "🏆"],
  ["medal", "🏅"],
  ["rocket", "🚀"],
  ["bulb", "💡"],
  ["memo", "📝"],
  ["pushpin", "📌"],
  ["link", "🔗"],
  ["lock", "🔒"],
  ["key", "🔑"],
  ["bell", "🔔"],
  ["mag", "🔍"],
  ["hourglass", "⌛"],
  ["calendar", "📆"],
  ["coffee", "☕"],
  ["beer", "🍺"],
  ["beers", "🍻"],
  ["pizza", "🍕"],
  ["cake", "🍰"],
  ["apple", "🍎"],
  ["dog", "🐶"],
  ["cat", "🐱"],
  ["bug", "🐛"],
  ["penguin", "🐧"],
  ["white_check_mark", "✅"],
  ["heavy_check_mark", "✔️"],
  ["ballot_box_with_check", "☑️"],
  ["x", "❌"],
  ["negative_squared_cross_mark", "❎"],
  ["warning", "⚠️"],
  ["no_entry", "⛔"],
  ["question", "❓"],
  ["exclamation", "❗"],
  ["heavy_plus_sign", "➕"],
  ["heavy_minus_sign", "➖"],
  ["arrow_right", "➡️"],
  ["arrow_left", "⬅️"],
  ["arrow_up", "⬆️"],
  ["arrow_down", "⬇️"],
  ["repeat", "🔁"],
  ["red_circle", "🔴"],
  ["large_green_circle", "🟢"],
  ["large_blue_circle", "🔵"],
  ["speech_balloon", "💬"],
  ["zzz", "💤"],
];

/** The Fitzpatrick modifiers Slack's `::skin-tone-N` names stand for. */
const SKIN_TONES: Readonly<Record<string, string>> = {
  "skin-tone-2": "\u{1F3FB}",
  "skin-tone-3": "\u{1F3FC}",
  "skin-tone-4": "\u{1F3FD}",
  "skin-tone-5": "\u{1F3FE}",
  "skin-tone-6": "\u{1F3FF}",
};

const BY_NAME = new Map<string, string>(NAMES);
const BY_EMOJI = new Map<string, string>();
for (const [name, emoji] of NAMES) {
  if (!BY_EMOJI.has(emoji)) BY_EMOJI.set(emoji, name);
  // XMPP clients often send the text-style form, without the emoji presentation selector.
  const bare = emoji.replace(/\uFE0F/g, "");
  if (!BY_EMOJI.has(bare)) BY_EMOJI.set(bare, name);
}

/** What a Slack emoji name shows as: its Unicode emoji, or undefined for a name not in the table (custom emoji). */
export function emojiOfName(name: string): string | undefined {
  const [base = "", tone] = name.split("::", 2);
  const emoji = BY_NAME.get(base);
  if (emoji === undefined) return undefined;
  if (tone === undefined) return emoji;
  const modifier = SKIN_TONES[tone];
  return modifier === undefined ? emoji : emoji.replace(/\uFE0F/g, "") + modifier;
}

/** The Slack name of a Unicode emoji (with `::skin-tone-N`), or undefined when the table lacks it. */
export function slackNameOfEmoji(emoji: string): string | undefined {
  const direct = BY_EMOJI.get(emoji) ?? BY_EMOJI.get(emoji.replace(/\uFE0F/g, ""));
  if (direct !== undefined) return direct;
  for (const [tone, modifier] of Object.entries(SKIN_TONES)) {
    if (!emoji.endsWith(modifier)) continue;
    const base = BY_EMOJI.get(emoji.slice(0, -modifier.length));
    if (base !== undefined) return `${base}::${tone}`;
  }
  return undefined;
}

/** A Slack reaction or shortcode name as the AST's reaction text: the emoji, else `:name:`. */
export function reactionEmoji(name: string): string {
  return emojiOfName(name) ?? `:${name}:`;
}
