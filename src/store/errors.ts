/** No store at the data folder yet: nothing has been collected there. */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
  constructor(readonly file: string) {
    super(
      `no store at ${file}: nothing has been collected there yet. ` +
        'Run `atp-siem run` (or `atp-siem demo` to try it on the emulator), or point --data / --config at the folder in use.',
    );
  }
}

/** The store file was written by a different schema version than this build knows. */
export class StoreVersionError extends Error {
  override readonly name = 'StoreVersionError';
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      found > known
        ? `${file} was written by a newer atp-siem (store schema ${found}; this version knows up to ${known}). ` +
            'Upgrade atp-siem, or point --data at another folder.'
        : `${file} has store schema ${found}, older than this version's ${known}. ` +
            'Run `atp-siem run` once to upgrade it, then retry.',
    );
  }
}
