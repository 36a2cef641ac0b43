export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, readCheckpointFile, type CheckpointContents } from './model-checkpoint';
export { writeFileAtomic } from './atomic-file';
