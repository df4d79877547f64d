import { runSinkContract } from './sink.contract.js';
import { startSearchHarness } from '../../test/servers/elasticsearch-harness.js';

runSinkContract('elasticsearch', () => startSearchHarness('elasticsearch'), {
  failures: ['unavailable', 'reset', 'hang', 'reject'],
});
