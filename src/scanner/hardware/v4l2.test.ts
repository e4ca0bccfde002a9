import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import { parseV4l2All, parseV4l2Formats, parseV4l2ListDevices } from './v4l2.js';

describe('parseV4l2ListDevices', () => {
  it('groups the video nodes of a laptop camera and a USB webcam and leaves media nodes out', () => {
    expect(parseV4l2ListDevices(fixture('v4l2/list-devices-laptop.txt'))).toEqual([
      {
        name: 'Integrated Camera: Integrated C',
        bus: 'usb-0000:00:14.0-8',
        videoNodes: ['/dev/video0', '/dev/video1'],
      },
      { name: 'HD Pro Webcam C920', bus: 'usb-0000:00:14.0-2', videoNodes: ['/dev/video2', '/dev/video3'] },
    ]);
  });

  it('returns no groups for the error v4l2-ctl prints without cameras, or for garbage', () => {
    expect(parseV4l2ListDevices(fixture('v4l2/list-devices-none.stderr.txt'))).toEqual([]);
    expect(parseV4l2ListDevices('')).toEqual([]);
    expect(parseV4l2ListDevices('\t/dev/video0\n')).toEqual([]);
  });
});

describe('parseV4l2All', () => {
  it('sees the capture node of a UVC camera with its driver, bus and current format', () => {
    expect(parseV4l2All(fixture('v4l2/all-video0-integrated.txt'))).toEqual({
      driver: 'uvcvideo',
      card: 'Integrated Camera: Integrated C',
      bus: 'usb-0000:00:14.0-8',
      deviceCaps: ['Video Capture', 'Streaming', 'Extended Pix Format'],
      isVideoCapture: true,
      currentWidth: 1280,
      currentHeight: 720,
      currentPixelFormat: 'MJPG',
    });
  });

  it('does not count the metadata node as a camera although the device capabilities list Video Capture', () => {
    const node = parseV4l2All(fixture('v4l2/all-video1-metadata.txt'));
    expect(node.deviceCaps).toEqual(['Metadata Capture', 'Streaming', 'Extended Pix Format']);
    expect(node.isVideoCapture).toBe(false);
  });

  it('gives an empty answer for garbage', () => {
    expect(parseV4l2All('nonsense\n\tmore nonsense')).toMatchObject({
      driver: null,
      isVideoCapture: false,
      deviceCaps: [],
    });
  });
});

describe('parseV4l2Formats', () => {
  it('lists the pixel formats and the largest frame size of the integrated camera', () => {
    expect(parseV4l2Formats(fixture('v4l2/list-formats-ext-video0-integrated.txt'))).toEqual({
      formats: ['MJPG', 'YUYV'],
      maxWidth: 1280,
      maxHeight: 720,
    });
  });

  it('finds the largest size across formats of a C920', () => {
    expect(parseV4l2Formats(fixture('v4l2/list-formats-ext-video2-c920.txt'))).toEqual({
      formats: ['YUYV', 'H264', 'MJPG'],
      maxWidth: 2304,
      maxHeight: 1536,
    });
  });

  it('reads the older layout with stepwise sizes', () => {
    expect(parseV4l2Formats(fixture('v4l2/list-formats-ext-older-stepwise.txt'))).toEqual({
      formats: ['YU12', 'MJPG'],
      maxWidth: 2592,
      maxHeight: 1944,
    });
  });

  it('gives an empty answer for garbage', () => {
    expect(parseV4l2Formats('Size: Discrete 0x0\nwhatever')).toEqual({
      formats: [],
      maxWidth: null,
      maxHeight: null,
    });
  });
});
