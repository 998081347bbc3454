import { createXiaomiConnector } from './create-connector.ts';

/** What Logto loads: the connector, talking to Xiaomi's real hosts. */
const createConnector = createXiaomiConnector();

export default createConnector;
