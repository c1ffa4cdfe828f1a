// aedes-persistence ships types for its async in-memory class but maps no path to them; this
// points the import at the package's own declaration (nothing is re-declared here).
declare module 'aedes-persistence/asyncPersistence.js' {
  import MemoryPersistence = require('aedes-persistence/types/asyncPersistence');
  export = MemoryPersistence;
}
