package io.kvstore.server.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.kvstore.proto.v1.ResponseHeader;

/** Reading and setting the {@code header} field that every kvstore.v1 response has as field 1. */
final class ResponseHeaders {
  private ResponseHeaders() {}

  static ResponseHeader of(Message response) {
    FieldDescriptor field = response.getDescriptorForType().findFieldByName("header");
    if (field == null || !response.hasField(field)) {
      return ResponseHeader.getDefaultInstance();
    }
    return (ResponseHeader) response.getField(field);
  }

  @SuppressWarnings("unchecked")
  static <R extends Message> R with(R response, ResponseHeader header) {
    FieldDescriptor field = response.getDescriptorForType().findFieldByName("header");
    return (R) response.toBuilder().setField(field, header).build();
  }
}
