import type { Format } from './format.contract.js';

// Work in progress (helper C): the full ECS mapping replaces this shortly.
export const ecsFormat: Format = {
  id: 'ecs',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(input.event),
};
