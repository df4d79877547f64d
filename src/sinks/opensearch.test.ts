import { runSinkContract } from './sink.contract.js';
import { startSearchHarness } from '../../test/servers/elasticsearch-harness.js';

runSinkContract('opensearch', () => startSearchHarness('opensearch'), {
  failures: ['unavailable', 'reset', 'hang', 'reject'],
});
