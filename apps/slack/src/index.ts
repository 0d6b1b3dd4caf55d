export const network = "slack";
