export { RollbackFloorWorkflow } from './rollback-floor';
