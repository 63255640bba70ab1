import { createLogger } from './logger';

describe('createLogger', () => {
  test('a call below the level writes nothing (no formatting); at or above it, the line is written', () => {
    const logger = createLogger('warn');
    const write = jest.spyOn(logger, 'write').mockImplementation(() => true);
    logger.debug('below', { eventId: 'e1' });
    logger.info('below too');
    expect(write).not.toHaveBeenCalled();
    logger.warn('at the level', { eventId: 'e2' });
    logger.error('above');
    expect(write.mock.calls.map(([info]) => (info as { message: string }).message)).toEqual(['at the level', 'above']);
  });

  test('the level is read at each call: lowering it lets debug lines through', () => {
    const logger = createLogger('info');
    const write = jest.spyOn(logger, 'write').mockImplementation(() => true);
    logger.debug('dropped');
    logger.level = 'debug';
    logger.debug('kept', { eventId: 'e3' });
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0]![0]).toMatchObject({ level: 'debug', message: 'kept', eventId: 'e3' });
  });

  test('a silent logger writes nothing at any level', () => {
    const logger = createLogger('debug', true);
    const write = jest.spyOn(logger, 'write').mockImplementation(() => true);
    logger.error('nothing');
    expect(write).not.toHaveBeenCalled();
  });
});
