import type { Format } from './format.contract.js';

// Work in progress (helper C): the full OCSF mapping replaces this shortly.
export const ocsfFormat: Format = {
  id: 'ocsf',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(input.event),
};
