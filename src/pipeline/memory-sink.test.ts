import { runSinkContract } from '../sinks/sink.contract.js';
import { memoryHarness } from './memory-sink.test-util.js';

runSinkContract('memory (the driver tests’ double)', () => memoryHarness('ecs'), {
  failures: ['unavailable', 'reset', 'hang', 'reject'],
});
