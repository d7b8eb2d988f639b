function o(){return process.getBuiltinModule("node:crypto")}export{o as a};
