/**
 * Name and namespace of a ChatbotDeployment, as strings (the fleet key: operator/controller/fleet-key.ts),
 * under the data plane's names: the functions of operator/workload/labels.ts, not a copy.
 */
export { crName as nameOf, crNamespace as namespaceOf } from '../workload/labels.js';
