/**
 * Generic example utterances per capability type, so that short and indirect intents ("I'm cold",
 * "lights off") reach the right kind of capability even when its own description does not use the
 * same words. They describe what people ask of *any* capability of the type — never a particular
 * device, and never an item of an evaluation set.
 *
 * `text → hint` names the kind of tool or trigger the utterance asks for; the router maps the hint
 * onto the capability's real tool names by word overlap (`on` → `turn_on`, `set_temp` →
 * `set_temperature`), so a hint only has to be close to what devices of the type call it.
 */

export interface TypeExample {
  readonly text: string;
  /** Tool or trigger kind the utterance asks for, when it asks for a specific one. */
  readonly hint: string | null;
}

const RAW: Readonly<Record<string, readonly string[]>> = {
  'llm/chat': [
    'write a short poem about the ocean → chat',
    'draft a polite reply declining the invitation → chat',
    'brainstorm ideas for a birthday party → chat',
    'what is the capital of australia → chat',
    'rewrite this paragraph to sound more formal → chat',
    'summarize this article in three bullet points → summarize',
    'condense these notes into a short summary → summarize',
    'tell me a joke → chat',
    'how does photosynthesis work → chat',
    'explain how a vaccine works → chat',
    'suggest a catchy title for my blog post → chat',
    'help me plan a weekly meal menu → chat',
    'give me tips for a job interview → chat',
    'proofread my cover letter → chat',
    'give me a recipe for banana bread → chat',
  ],
  'llm/embed': [
    'compute embeddings for these sentences → embed',
    'turn this text into a vector → embed',
    'index the documents for semantic search → embed',
    'cluster these notes by topic → embed',
    'find near-duplicate paragraphs → similarity',
    'score how related two pieces of text are → similarity',
    'group similar support tickets together → embed',
  ],
  'audio/transcribe': [
    'transcribe this audio file → transcribe',
    'convert this voice memo to text → transcribe',
    'get a written transcript of the interview → transcribe',
    'speech to text for this podcast episode → transcribe',
    'type up the lecture recording → transcribe',
    'what did they say in this voicemail → transcribe',
    'add captions to this clip → subtitles',
    'generate an srt file for the movie → subtitles',
  ],
  'audio/generate': [
    'say hello to everyone on the speaker → speak',
    'announce that dinner is ready → speak',
    'convert this text to speech → synthesize',
    'narrate this article with a voice → synthesize',
    'save this message as a spoken mp3 → synthesize',
    'make an announcement over the speaker → speak',
    'turn this text into an mp3 → synthesize',
  ],
  'audio/capture': [
    'record audio with the microphone for ten minutes → record',
    'capture a voice memo → record',
    'how noisy is the room → noise_level',
    'measure the sound level in decibels → noise_level',
  ],
  'audio/playback': [
    'play some music → play',
    'pause the song → pause',
    'turn the volume up → set_volume',
    'skip to the next track → next',
  ],
  'vision/classify': [
    'what is in this photo → classify',
    'identify the plant in this picture → classify',
    'what kind of bird is this → classify',
    'recognize the object in the image → classify',
    'which of these labels fits the image best → classify_with_labels',
    'sort these pictures into the categories i give you → classify_with_labels',
    'was this photo taken indoors or outdoors → classify_with_labels',
    'tag my photos by what is in them → classify',
    'what species of tree is this → classify',
  ],
  'vision/detect': [
    'detect objects in this image → detect',
    'draw boxes around the people in the photo → detect',
    'locate every vehicle in the frame → detect',
    'count the people in the image → count',
  ],
  'vision/generate': [
    'generate an image of a mountain at sunset → text_to_image',
    'draw a cartoon of a cat wearing a hat → text_to_image',
    'create an illustration for my story → text_to_image',
    'design a poster with a retro look → text_to_image',
    'remove the person in the background of this photo → edit_image',
    'change the sky in this picture to a sunset → edit_image',
  ],
  'vision/caption': [
    'describe this image in a sentence → caption',
    'write alt text for the picture → caption',
  ],
  'vision/ocr': ['read the text in this scanned page → ocr', 'extract the words from this screenshot → ocr'],
  'sensor/camera': [
    'show me the live camera view → snapshot',
    'take a picture with the camera → snapshot',
    'check the camera → snapshot',
    'play back the recorded footage from last night → get_clip',
    'any visitors or deliveries today → list_events',
    'what did the camera detect this morning → list_events',
    'alert me when someone is seen on camera → person_detected',
  ],
  'sensor/location': [
    'where am i → get_location',
    'where is my phone right now → get_location',
    'share my current position → get_location',
    'let me know once i arrive at work → enter',
    'alert me when i leave the gym → exit',
  ],
  'sensor/motion': [
    'how many steps did i take today → step_count',
    'what activity is the device detecting → get_activity',
    'is the phone moving → get_activity',
    'alert me if the phone is shaken → shake',
    'warn me if the device falls → drop',
    'have i been active today → get_activity',
  ],
  'sensor/contact': [
    'did i leave a window open → get_state',
    'check whether the door is shut → get_state',
    'alert me when the door opens → opened',
    'let me know when the door closes → closed',
  ],
  'sensor/temperature': [
    'what is the temperature there → get_reading',
    'how warm is it in that room → get_reading',
    'show the temperature log for last month → get_history',
    'warn me if it gets too cold → below',
    'alert me if it gets too hot → above',
  ],
  'sensor/humidity': [
    'how damp is the basement → get_reading',
    'what is the relative humidity → get_reading',
  ],
  'sensor/occupancy': [
    'is the room occupied → get_occupancy',
    'is somebody there right now → get_occupancy',
    'when did someone last walk by → last_motion',
    'alert me when someone enters the area → occupied',
    'let me know once the area is clear → vacant',
  ],
  'sensor/air-quality': [
    'how is the air quality inside → get_reading',
    'is the co2 level too high → get_reading',
  ],
  'sensor/leak': ['is there water on the floor → get_state', 'alert me if a pipe leaks → leak_detected'],
  'sensor/smoke': [
    'is the smoke alarm going off → get_state',
    'warn me about smoke or fire → smoke_detected',
  ],
  'iot/light': [
    'lights on → on',
    'switch the lamp off → off',
    'turn off all the lights → off',
    'make it brighter in here → set_brightness',
    'dim the lights → set_brightness',
    'lower the lights for a movie → set_brightness',
    'set the lights to half → set_brightness',
    'change the bulb to a warm color → set_color',
    'make the light red → set_color',
  ],
  'iot/lock': [
    'lock up the house → lock',
    'secure the entrance for the night → lock',
    'let the guest in → unlock',
    'open the deadbolt → unlock',
    'is the door locked → get_status',
    'alert me if someone unlocks the door → unlocked',
    'warn me about a break in attempt → tamper',
  ],
  'iot/hvac': [
    'i am cold → set_temp',
    'it is way too warm → set_temp',
    'turn up the heat → set_temp',
    'make the house a bit cooler → set_temp',
    'set the temperature to 70 degrees → set_temp',
    'turn on the air conditioner → set_mode',
    'switch the heating off → set_mode',
    'what temperature is it inside → get_status',
  ],
  'iot/plug': [
    'switch the outlet off → off',
    'power on the device that is plugged in → on',
    'cut the power to the appliance → off',
    'how much electricity is it using → get_energy',
  ],
  'iot/switch': ['flip the switch on → on', 'turn the switch off → off'],
  'iot/fan': ['turn on the fan → on', 'speed the fan up → set_speed', 'turn the fan off → off'],
  'iot/cover': [
    'close the blinds → close',
    'open the curtains → open',
    'lower the shades halfway → set_position',
  ],
  'iot/garage-door': [
    'open the garage → open',
    'close the garage → close',
    'is the garage shut → get_status',
  ],
  'iot/vacuum': ['vacuum the living room → start', 'send the robot vacuum back to its dock → dock'],
  'iot/media': [
    'play some music in the kitchen → play',
    'pause the tv → pause',
    'turn the volume down → set_volume',
  ],
  'notify/push': [
    'send an alert to my phone → send',
    'push a message to my phone → send',
    'ping my phone with a reminder → send',
  ],
  translate: [
    'translate this into spanish → translate',
    'how do you say good morning in japanese → translate',
    'put this email into german → translate',
    'detect the language of a text → detect_language',
  ],
  rag: [
    'answer a question from the documents → ask',
    'what do the manuals say about this → ask',
    'look it up in the knowledge base → ask',
    'find the answer in my notes with sources → ask',
  ],
  'search/web': [
    'search the web for the latest news → search',
    'look up the current price online → search',
    'what time does the hardware store close → search',
    'find recent articles about electric cars → search',
    'google the opening hours → search',
    'get the text of this web page → fetch_page',
    'what is the weather forecast for the weekend → search',
    'who won the match yesterday → search',
    'find reviews of a cordless drill → search',
    'is the post office open on saturday → search',
    'how late is the bakery open tonight → search',
    'compare prices for a new washing machine → search',
    'download the article at this link → fetch_page',
    'what is the price of a plane ticket to chicago → search',
  ],
  calendar: [
    'list my appointments this week → list_events',
    'do i have anything planned on saturday → list_events',
    'schedule a dentist appointment on friday at 3 → create_event',
    'add a meeting to the calendar → create_event',
    'find an open slot for a meeting → find_free_slot',
    'remind me before my next meeting → reminder',
    'put a dentist visit on the calendar for monday → create_event',
  ],
  'email/send': [
    'send an email to my boss → send_email',
    'email the team about the delay → send_email',
    'write and send a message to john → send_email',
    'mail the invoice to the client → send_email',
  ],
  'messaging/send': [
    'text my sister that i am running late → send',
    'send a chat message to the group → send',
  ],
  'agent/security': [
    'arm the alarm → arm',
    'turn on away mode → arm',
    'deactivate the alarm system → disarm',
    'what happened while i was away → get_report',
    'security summary for last night → get_report',
    'alert me about a break in → incident',
  ],
  'agent/assistant': ['handle this task for me → run', 'plan and carry out these steps → run'],
  'system/stats': [
    'how much memory is in use → get_stats',
    'check the cpu load → get_stats',
    'how long has the machine been up → get_stats',
    'is the gpu busy → get_gpu_status',
    'what is the gpu temperature → get_gpu_status',
    'check storage usage → get_disk_usage',
    'warn me when the drive is almost full → disk_low',
    'alert me if the machine runs too hot → high_temperature',
  ],
  'compute/gpu': ['run this job on a gpu → run', 'which machine has a free gpu → status'],
};

function parse(line: string): TypeExample {
  const at = line.lastIndexOf('→');
  return at < 0
    ? { text: line.trim(), hint: null }
    : { text: line.slice(0, at).trim(), hint: line.slice(at + 1).trim() };
}

/** The built-in example table: capability type → example utterances. */
export const TYPE_EXAMPLES: Readonly<Record<string, readonly TypeExample[]>> = Object.fromEntries(
  Object.entries(RAW).map(([type, lines]) => [type, lines.map(parse)]),
);

/**
 * Examples for a type: its own, else those of the nearest listed ancestor (`vision/detect/faces` →
 * `vision/detect`), else none.
 */
export function examplesForType(
  type: string,
  table: Readonly<Record<string, readonly TypeExample[]>> = TYPE_EXAMPLES,
): readonly TypeExample[] {
  for (let t = type; t; t = t.includes('/') ? t.slice(0, t.lastIndexOf('/')) : '') {
    // Own keys only: a type named "constructor" is not Object's.
    const found = Object.hasOwn(table, t) ? table[t] : undefined;
    if (found) return found;
  }
  return [];
}
