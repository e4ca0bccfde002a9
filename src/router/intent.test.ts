import { describe, expect, it } from 'vitest';
import { analyzeIntent } from './intent.js';

describe('analyzeIntent', () => {
  it('recognizes requests to be told when something happens, keeping only the event', () => {
    for (const text of [
      'Tell me when the garage door opens',
      'let me know if the garage door opens',
      'notify me once the garage door opens',
    ]) {
      const a = analyzeIntent(text);
      expect(a.form).toBe('subscribe');
      expect(a.body.trim()).toBe('the garage door opens');
    }
    expect(analyzeIntent('When the washer finishes, ping me').form).toBe('subscribe');
  });

  it('tells commands from questions and statements', () => {
    expect(analyzeIntent('Turn off the lights')).toMatchObject({ form: 'command', verb: 'turn' });
    expect(analyzeIntent('Could you please lock the door')).toMatchObject({ form: 'command', verb: 'lock' });
    expect(analyzeIntent('is the door locked?').form).toBe('question');
    expect(analyzeIntent("it's cold in here").form).toBe('statement');
    expect(analyzeIntent('Is it on? Switch it off')).toMatchObject({ form: 'command', verb: 'switch' });
  });

  it('takes quoted text and trailing code out of the words to match, and notices code', () => {
    const a = analyzeIntent('what does this do: grep -rn "foo" src/ | wc -l');
    expect(a.body).toBe('what does this do');
    expect(a.hasCode).toBe(true);
    const b = analyzeIntent('How do you say "good night" in French?');
    expect(b.payload).toEqual(['good night']);
    expect(b.tokens).not.toContain('night');
    expect(b.hasCode).toBe(false);
  });

  it('adds the concept a question word implies', () => {
    expect(analyzeIntent("who's at the door").implied).toContain('person');
    expect(analyzeIntent('how many people are in the photo').implied).toContain('count');
  });

  it('reads "who" and "where" as asking only when they ask, not in a relative clause', () => {
    expect(analyzeIntent("who's at the front door").implied).toContain('person');
    expect(analyzeIntent('check who rang the bell').implied).toContain('person');
    expect(analyzeIntent('a gift idea for my dad who likes hiking').implied).not.toContain('person');
    expect(analyzeIntent('where is my phone').implied).toContain('location');
    expect(analyzeIntent('the town where I grew up').implied).not.toContain('location');
    expect(analyzeIntent('how many cars are parked outside').implied).toContain('count');
    expect(analyzeIntent('how much should I save each month').implied).not.toContain('count');
  });

  it('reads other ways of asking for an event as subscriptions, keeping only the event', () => {
    for (const [text, body] of [
      ['Fire an event whenever the phone is dropped', 'the phone is dropped'],
      ['send me an alert if the garage gets cold', 'the garage gets cold'],
      ['I want to know when the kids get home', 'the kids get home'],
      ['keep me posted if the temperature drops', 'the temperature drops'],
    ] as const) {
      const a = analyzeIntent(text);
      expect(a.form).toBe('subscribe');
      expect(a.body.trim()).toBe(body);
    }
    expect(analyzeIntent('send an email to bob').form).toBe('command');
  });

  it('takes a web address out as payload and implies the web, but not an email address', () => {
    const a = analyzeIntent('grab the text from https://example.com/article');
    expect(a.payload).toContain('https://example.com/article');
    expect(a.tokens).not.toContain('example');
    expect(a.implied).toEqual(expect.arrayContaining(['url', 'web']));
    expect(analyzeIntent('email bob@acme.com the report').implied).not.toContain('web');
  });

  it('implies an error when the request quotes an error message or exception', () => {
    expect(analyzeIntent("why do I get 'ModuleNotFoundError: No module named foo'").implied).toContain(
      'error',
    );
    expect(analyzeIntent('what is a module').implied).not.toContain('error');
  });

  it('implies translation for a request about saying something in a language', () => {
    expect(analyzeIntent('How do you say "good night" in French?').implied).toContain('translate');
    expect(analyzeIntent('a french press for coffee').implied).not.toContain('translate');
  });

  it('marks questions that ask for an explanation, not those that ask after a state', () => {
    for (const text of [
      'why is the sea salty',
      "what's the difference between a lease and a rental agreement",
      'how does a heat pump work',
      'what is a mutual fund',
      'explain how vaccines work',
    ])
      expect(analyzeIntent(text).explains, text).toBe(true);
    for (const text of [
      'is the front door locked?',
      'what is the temperature in the garage',
      'why is the laptop so slow, is the disk full?',
      'turn on the lamp',
    ])
      expect(analyzeIntent(text).explains, text).toBe(false);
  });

  it('reads a terse "thing on/off" as naming the thing, not as a verb', () => {
    expect(analyzeIntent('desk lamp off')).toMatchObject({ form: 'command', verb: null });
    expect(analyzeIntent('lamp on please')).toMatchObject({ form: 'command', verb: null });
    expect(analyzeIntent('shut the lamp off')).toMatchObject({ form: 'command', verb: 'shut' });
    expect(analyzeIntent('lock front door')).toMatchObject({ form: 'command', verb: 'lock' });
  });
});
