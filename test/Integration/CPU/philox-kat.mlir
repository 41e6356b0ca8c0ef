// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s

/// Random123's published known-answer vectors for Philox4x32-10, computed by
/// the arith code that flops-to-linalg emits for flops.philox. The inputs
/// arrive as function arguments so that no folder can answer for the code.
func.func @kat(%k0: i32, %k1: i32, %c0: i32, %c1: i32, %c2: i32, %c3: i32) {
  %x:4 = flops.philox key(%k0, %k1) counter(%c0, %c1, %c2, %c3)
  %w0 = arith.extui %x#0 : i32 to i64
  %w1 = arith.extui %x#1 : i32 to i64
  %w2 = arith.extui %x#2 : i32 to i64
  %w3 = arith.extui %x#3 : i32 to i64
  vector.print %w0 : i64
  vector.print %w1 : i64
  vector.print %w2 : i64
  vector.print %w3 : i64
  return
}

func.func @main() {
  %zero = arith.constant 0 : i32
  %ones = arith.constant -1 : i32
  // CHECK: 1713891541
  // CHECK-NEXT: 3781805453
  // CHECK-NEXT: 3159862348
  // CHECK-NEXT: 2600524760
  // (0x6627e8d5 0xe169c58d 0xbc57ac4c 0x9b00dbd8)
  call @kat(%zero, %zero, %zero, %zero, %zero, %zero) : (i32, i32, i32, i32, i32, i32) -> ()
  // CHECK-NEXT: 1083123565
  // CHECK-NEXT: 1103641358
  // CHECK-NEXT: 2718681030
  // CHECK-NEXT: 1834242557
  // (0x408f276d 0x41c83b0e 0xa20bc7c6 0x6d5451fd)
  call @kat(%ones, %ones, %ones, %ones, %ones, %ones) : (i32, i32, i32, i32, i32, i32) -> ()
  // Key a4093822 299f31d0, counter 243f6a88 85a308d3 13198a2e 03707344
  // (the digits of pi).
  %k0 = arith.constant 0xa4093822 : i32
  %k1 = arith.constant 0x299f31d0 : i32
  %c0 = arith.constant 0x243f6a88 : i32
  %c1 = arith.constant 0x85a308d3 : i32
  %c2 = arith.constant 0x13198a2e : i32
  %c3 = arith.constant 0x03707344 : i32
  // CHECK-NEXT: 3513581065
  // CHECK-NEXT: 2499661035
  // CHECK-NEXT: 1342301216
  // CHECK-NEXT: 605187745
  // (0xd16cfe09 0x94fdcceb 0x5001e420 0x24126ea1)
  call @kat(%k0, %k1, %c0, %c1, %c2, %c3) : (i32, i32, i32, i32, i32, i32) -> ()
  return
}
