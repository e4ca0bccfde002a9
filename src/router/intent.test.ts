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
});
